print("softphonectl")
