"""Profiles: what the compiler knows about migration tools and hosts.

``migpipe.profiles.tools`` (one module per migration tool) and
``migpipe.profiles.hosts`` (one module per host). Nothing is imported here,
so a command that needs one kind of profile does not load the other.
"""
