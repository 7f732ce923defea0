module bwtarget/pipeline

go 1.19
