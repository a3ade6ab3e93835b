"""Files in: the inbox, the archive, the reader, the hand-off between tasks, the forms."""
