"""What a build writes to disk and a service loads: vectors, keyword statistics, metadata."""
