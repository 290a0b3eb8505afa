"""Pure, frozen data types shared by every stage. No I/O, no framework imports."""
