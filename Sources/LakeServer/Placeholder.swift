import FlyingFox
import Lake
