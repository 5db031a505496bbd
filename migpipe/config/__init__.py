"""What every part of pipeline.toml shares: constrained strings (types), the
shared tables (tables), where outputs go (paths) and reading a TOML file into
a model with located errors (loader). It imports no profile and not the
model of the whole file (migpipe.pipeline), which is built on top of it.
"""
