"""Attachments and the Word documents inside them: safety checks, .docx and .doc readers, legacy Vietnamese
fonts, value parsing, and the report form (writer and layout shared with the readers)."""
