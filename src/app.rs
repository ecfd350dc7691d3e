//! Pipeline wiring: the one place that spawns threads and creates channels.
