"""The reporting mailbox: Maildir and IMAP sources, the archive of every received message, receipt time and
sender authentication from the headers our own server wrote."""
