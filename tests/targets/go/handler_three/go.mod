module bwtarget/handler_three

go 1.19
