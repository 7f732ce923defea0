module bwtarget/ticker

go 1.19
