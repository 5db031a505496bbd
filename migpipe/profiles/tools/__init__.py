"""Migration-tool plugins, one module per tool, registered in ``registry.TOOLS``.

Each module is a ``base.ToolPlugin``: its own table of pipeline.toml, the
commands that apply its migrations (``FORBIDDEN``, which the build guard
forbids on the host's path) and ``build(table, shared) -> ToolProfile``.
Adding a tool means adding a module here and registering it, never editing
templates. ``known`` lists the apply commands of tools without a plugin.
"""
