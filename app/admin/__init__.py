"""Administration: users and Organisationseinheiten (other slices add their own admin pages)."""
