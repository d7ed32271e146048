"""Files → articles → sentences and chunks, every character traceable to its source offset."""
