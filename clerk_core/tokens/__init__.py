"""Token-level logic: key resolution (PEM and JWKS), verify_token, machine tokens."""
