module bwtarget/http_no_timeout

go 1.19
