// Small progressive enhancements; every page works without them. Text shown here
// comes from the page's translated strings (#page-strings), never from this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const stringsEl = document.getElementById("page-strings");
  const T = stringsEl ? JSON.parse(stringsEl.textContent) : {};

  // Filter forms apply as soon as a choice changes (they keep a "Show" button without JS).
  for (const form of document.querySelectorAll("form.auto-submit")) {
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }

  // Every chart drawn as SVG gets a button downloading it as a PNG image, drawn by
  // the browser at twice the chart's size on a white background.
  const toPng = (svg, name) => {
    const box = svg.viewBox.baseVal;
    const width = (box && box.width) || svg.clientWidth;
    const height = (box && box.height) || svg.clientHeight;
    const copy = svg.cloneNode(true);
    copy.setAttribute("width", String(width));
    copy.setAttribute("height", String(height));
    const source = new XMLSerializer().serializeToString(copy);
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = width * 2;
      canvas.height = height * 2;
      const context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      const link = document.createElement("a");
      link.download = `${name}.png`;
      link.href = canvas.toDataURL("image/png");
      document.body.append(link);
      link.click();
      link.remove();
    };
    image.onerror = () => window.alert(T.pngFailed);
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(source)}`;
  };
  for (const svg of document.querySelectorAll("svg[data-png-name]")) {
    if (svg.classList.contains("small")) continue; // sparklines: the table's download holds them
    const button = document.createElement("button");
    button.type = "button";
    button.className = "png-download";
    button.textContent = T.png;
    button.title = T.pngTitle;
    button.addEventListener("click", () => toPng(svg, svg.dataset.pngName));
    svg.after(button);
  }
});
