"""`--store postgresql://…`: many sandbox processes serve one sandbox from one PostgreSQL database.

See docs/SCALING.md: each workspace's world is a deterministic function of its log of requests, so
the log lives in PostgreSQL, one stream per workspace, and every instance catches up on a stream
(under the workspace's advisory lock when it may write) before it answers.
"""
