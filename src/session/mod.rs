//! Session directories on disk: format of events, scorecard, listing, repair, review.
