module bwtarget/warmup

go 1.19
