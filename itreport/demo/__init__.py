"""Demo and test-data tooling, apart from the product's stages: the sample mailbox, the SMTP sink, the demo run."""
