"""Use cases over the store and the pure core; shared by every dialect."""
