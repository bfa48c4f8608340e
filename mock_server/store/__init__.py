"""Storage behind one small interface (`Store`); the in-memory store is the default."""
