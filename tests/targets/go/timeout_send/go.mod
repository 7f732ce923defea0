module bwtarget/timeout_send

go 1.19
