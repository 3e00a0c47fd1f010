"""`redline mcp`: redline's model, review and forecast as Model Context Protocol tools for AI agents.

:mod:`.graph` answers the graph questions (dependents, blast radius, call paths) and :mod:`.tools` runs
every tool as a plain, typed function with its gates (read-only unless the server was started with
``--allow-write`` / ``--allow-load``); neither imports the MCP SDK. :mod:`.server` serves them over stdio
or streamable HTTP with the official SDK (the extra ``redline[mcp]``). See docs/agents.md.
"""
