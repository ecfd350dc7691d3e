//! Session directories on disk: the event format, the writer, scorecard, listing, repair, review.
