module bwtarget/safety_load

go 1.19
