"""The pure core: domain objects, rules, planning and simulation. No I/O, no Starlette."""
