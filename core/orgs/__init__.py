"""社会组织台账 and the places they work: organisations, communities, venues. Imports only the platform."""
