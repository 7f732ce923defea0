module bwtarget/many_blocked

go 1.19
