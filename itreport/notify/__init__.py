"""Every email the product sends (alerts, replies, reminders, reports), through one sender, claimed once."""
