//! The storage conformance suite. (Being written.)
