"""JWT primitives: strict decoding, the algorithm table, claim checks and the verify flow."""
