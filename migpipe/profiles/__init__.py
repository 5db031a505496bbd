"""Profiles: what the compiler knows about migration tools and hosts.

``migpipe.profiles.tools`` (one module per migration tool) and
``migpipe.profiles.hosts`` (one module per host). Nothing is imported here:
verify's fast path asks a host profile where its config file is without
loading every tool profile.
"""
