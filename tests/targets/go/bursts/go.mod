module bwtarget/bursts

go 1.19
