"""Dev-cloud helpers for heps-desktop-dashboard.

Nothing here imports nova or neutron at package import time: the compute
launcher must import ``nova.cmd.compute`` before any other nova module.
"""
