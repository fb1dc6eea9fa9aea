// Filled in after the calendar core lands.
print("mailbox-bench")
