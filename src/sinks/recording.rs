//! (placeholder until the session branch lands)
