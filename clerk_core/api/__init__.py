"""Backend API plumbing: request building, response and error decoding."""
