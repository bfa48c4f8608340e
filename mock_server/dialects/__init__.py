"""Vendor wire layers served by the engine. Each owns its paths, envelopes and error shapes."""
