module bwtarget/no_sender

go 1.19
