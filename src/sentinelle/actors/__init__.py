"""Actors: the canonical actor registry, actor activity, dyads and the situational picture.

- :mod:`~sentinelle.actors.registry`: the registry data file and explicit name matching.
- :mod:`~sentinelle.actors.activity`: who is active where and when, dyads, networks.
- :mod:`~sentinelle.actors.situation`: a country's situational picture with charts and a map.
"""

from sentinelle.actors.activity import (
    actor_activity,
    dyad_network,
    dyad_networks,
    dyads,
    plot_network,
    write_network,
)
from sentinelle.actors.registry import (
    Actor,
    Alias,
    Registry,
    load_registry,
    normalise_name,
    register_sides,
    unmatched_names,
)
from sentinelle.actors.situation import Situation, situation, write_situation

__all__ = [
    "Actor",
    "Alias",
    "Registry",
    "Situation",
    "actor_activity",
    "dyad_network",
    "dyad_networks",
    "dyads",
    "load_registry",
    "normalise_name",
    "plot_network",
    "register_sides",
    "situation",
    "unmatched_names",
    "write_network",
    "write_situation",
]
