"""Tests of sentinelle.geo (a package so test module names cannot clash with other suites)."""
