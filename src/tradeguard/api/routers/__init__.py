"""HTTP routers, one per area; each is thin over the library."""
