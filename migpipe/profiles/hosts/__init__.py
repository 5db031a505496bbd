"""Host plugins, one module per host, registered in ``registry.HOSTS``.

Each module is a ``base.HostPlugin``: its own table of pipeline.toml and
``build(table, shared) -> HostProfile``. Adding a host means adding a module
here, registering it, and its config template under templates/hosts/.
Nothing is imported here: importing one plugin does not load the others.
"""
