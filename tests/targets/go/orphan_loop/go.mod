module bwtarget/orphan_loop

go 1.19
