"""What happened: the request journal of each world and the access log."""
