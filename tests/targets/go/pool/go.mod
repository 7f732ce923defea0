module bwtarget/pool

go 1.19
