module bwtarget/nil_chan

go 1.19
