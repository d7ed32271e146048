"""The sentence model: where its weights come from and how text becomes vectors."""
