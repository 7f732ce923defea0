module bwtarget/forgotten_unlock

go 1.19
