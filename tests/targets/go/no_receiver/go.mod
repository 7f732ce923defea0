module bwtarget/no_receiver

go 1.19
