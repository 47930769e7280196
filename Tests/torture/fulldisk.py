from common import Scenario

def scenario(work, seed, full):
    return Scenario("fulldisk", seed).done()
